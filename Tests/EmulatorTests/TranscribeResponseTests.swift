import Testing
@testable import ThetaConsole

@Suite struct TranscribeResponseTests {
    @Test func transcribe_givesTheDocumentedShapeInTheDocumentedOrder() throws {
        let response = try text(.transcribe, form(), audioSeconds: 3.2, responseTime: 0.42)
        #expect(response == #"{"text":"Welcome to Theta One AI!","text_type":"en","metadata":{},"response_time_in_sec":0.420}"#)
        let json = try JSONParser.parse(response)
        #expect(json.keys == ["text", "text_type", "metadata", "response_time_in_sec"])
        #expect(json["metadata"] == .object([]))
    }

    @Test func transcribe_doesNotDependOnOptionsOrDuration() throws {
        let plain = try text(.transcribe, form(), audioSeconds: 0, responseTime: 0.012)
        let suppressed = try text(.transcribe, form(transcribeOptions: #"{"suppress_korean": true}"#), audioSeconds: 3600, responseTime: 0.012)
        #expect(plain == suppressed)
    }

    @Test func responseTime_isPrintedWithThreeDecimals_andNeverNegative() throws {
        #expect(try body(.transcribe, form(), audioSeconds: 1, responseTime: 0.0123456)["response_time_in_sec"]?.numberText == "0.012")
        #expect(try body(.transcribe, form(), audioSeconds: 1, responseTime: 1.9996)["response_time_in_sec"]?.numberText == "2.000")
        #expect(try body(.transcribe, form(), audioSeconds: 1, responseTime: -3)["response_time_in_sec"]?.numberText == "0.000")
        #expect(try body(.transcribe, form(), audioSeconds: 1, responseTime: .nan)["response_time_in_sec"]?.numberText == "0.000")
    }
}
