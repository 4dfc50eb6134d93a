/// What a `MultipartParser` reports as bytes go by.
public enum MultipartEvent: Sendable, Equatable {
    /// A part's header section was complete and valid.
    case begin(MultipartPartHead)
    /// Some of the current part's body. The slice is only valid during the handler call. How a
    /// body is split into `data` events depends on how the input was chunked.
    case data(ArraySlice<UInt8>)
    /// The current part ended (its closing CRLF is not part of the data).
    case end
}
