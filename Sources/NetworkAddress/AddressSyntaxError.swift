/// Why a piece of text is not an address; the reason is phrased for the person who wrote the text.
struct AddressSyntaxError: Error, Sendable, Equatable {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
