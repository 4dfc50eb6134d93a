/// The language of feedback text: `options.language` on `/pronunciation-simple`, Korean elsewhere.
public enum FeedbackLanguage: String, Sendable, CaseIterable {
    case korean = "ko"
    case english = "en"
}
