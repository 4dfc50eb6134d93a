/// The audio containers theta-console can measure, and so bill.
public enum AudioFormat: String, Sendable {
    case wav
    case mp3
}
