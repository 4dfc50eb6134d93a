import Testing
@testable import ThetaConsole

/// A form from text parts, as a client would send them.
func form(options: String? = nil, transcribeOptions: String? = nil, native: String? = nil) -> EmulatorForm {
    EmulatorForm(
        options: options.map { Array($0.utf8) },
        transcribeOptions: transcribeOptions.map { Array($0.utf8) },
        nativeSpeechComponentsJSON: native.map { Array($0.utf8) }
    )
}

/// The 400 detail that validation gives, or nil when the form passes.
func detail(_ endpoint: EmulatedEndpoint, _ form: EmulatorForm) -> String? {
    do {
        _ = try SpeechEmulator.validate(endpoint, form)
        return nil
    } catch {
        return error.detail
    }
}

/// The 400 detail that responding gives, or nil when it answers.
func respondDetail(_ request: EmulatorRequest, audioSeconds: Double) -> String? {
    do {
        _ = try SpeechEmulator.respond(request, audioSeconds: audioSeconds, responseTimeSeconds: 0)
        return nil
    } catch {
        return error.detail
    }
}

/// Validates and responds, and parses the body with the strict parser.
func body(
    _ endpoint: EmulatedEndpoint, _ form: EmulatorForm, audioSeconds: Double, responseTime: Double = 0.012
) throws -> JSONValue {
    let request = try SpeechEmulator.validate(endpoint, form)
    return try JSONParser.parse(try SpeechEmulator.respond(request, audioSeconds: audioSeconds, responseTimeSeconds: responseTime))
}

/// The raw bytes of a response, as text.
func text(
    _ endpoint: EmulatedEndpoint, _ form: EmulatorForm, audioSeconds: Double, responseTime: Double = 0.012
) throws -> String {
    let request = try SpeechEmulator.validate(endpoint, form)
    return String(decoding: try SpeechEmulator.respond(request, audioSeconds: audioSeconds, responseTimeSeconds: responseTime), as: UTF8.self)
}

/// The `speech_components` of `/analyze-native` for this gold text, as the raw JSON text of the array.
func nativeComponentsJSON(_ goldText: String, audioSeconds: Double) throws -> String {
    let response = try text(.analyzeNative, form(options: optionsJSON(goldText)), audioSeconds: audioSeconds)
    let prefix = #"{"speech_components":"#
    #expect(response.hasPrefix(prefix))
    return String(response.dropFirst(prefix.count).dropLast())
}

/// `{"gold_text": "…"}` with the text escaped, plus any extra raw members.
func optionsJSON(_ goldText: String, _ extra: String = "") -> String {
    var json = JSONWriter()
    json.beginObject()
    json.field("gold_text", goldText)
    json.endObject()
    let object = String(decoding: json.bytes, as: UTF8.self)
    return extra.isEmpty ? object : object.dropLast() + "," + extra + "}"
}

extension JSONValue {
    var members: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }

    var keys: [String] { members.map(\.0) }

    var items: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    var double: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }

    var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }
}

let sampleGoldText = "Wow, check out this castle."
