/// When the next apply may run: at once when the agent has been idle for a window, otherwise at the end of
/// the window that started with the last apply. One change after a quiet period is programmed immediately;
/// a burst of changes is gathered into one apply per window.
struct ApplyPacing: Sendable {
    /// The least time between the starts of two applies.
    var window: Duration
    private(set) var lastApply: ContinuousClock.Instant?

    init(window: Duration) {
        self.window = window
    }

    /// How long to wait before applying, asked when a change arrives.
    func delay(now: ContinuousClock.Instant) -> Duration {
        guard let lastApply else { return .zero }
        let since = now - lastApply
        return since >= window ? .zero : window - since
    }

    mutating func applied(at instant: ContinuousClock.Instant) { lastApply = instant }
}
