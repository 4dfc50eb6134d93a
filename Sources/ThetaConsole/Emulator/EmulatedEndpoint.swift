/// The four Theta One endpoints the emulator answers, by path.
public enum EmulatedEndpoint: String, Sendable, CaseIterable {
    case transcribe = "/transcribe"
    case analyzeNative = "/analyze-native"
    case pronunciation = "/pronunciation"
    case pronunciationSimple = "/pronunciation-simple"
}
