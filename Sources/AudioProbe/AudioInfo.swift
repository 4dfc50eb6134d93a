/// What a probe learned about an upload: enough to bill it by the second.
public struct AudioInfo: Sendable, Equatable {
    public let format: AudioFormat
    public let durationSeconds: Double
    public let sampleRate: Int
    public let channels: Int

    public init(format: AudioFormat, durationSeconds: Double, sampleRate: Int, channels: Int) {
        self.format = format
        self.durationSeconds = durationSeconds
        self.sampleRate = sampleRate
        self.channels = channels
    }
}
