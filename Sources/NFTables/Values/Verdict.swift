/// What a rule (or a verdict map element) decides about a packet.
public enum Verdict: Hashable, Sendable, CustomStringConvertible {
    case accept
    case drop
    /// Go on with the next expression or rule (`NFT_CONTINUE`).
    case `continue`
    /// Return to the calling chain.
    case `return`
    /// Evaluate the named chain, then come back.
    case jump(String)
    /// Evaluate the named chain and do not come back.
    case goto(String)

    /// The kernel's verdict code (`NF_ACCEPT`, `NF_DROP`, `NFT_JUMP`, ...).
    public var code: Int32 {
        switch self {
        case .accept: 1
        case .drop: 0
        case .continue: -1
        case .return: -5
        case .jump: -3
        case .goto: -4
        }
    }

    /// The target chain of a jump or goto.
    public var chain: String? {
        switch self {
        case .jump(let chain), .goto(let chain): chain
        default: nil
        }
    }

    /// Rebuilds a verdict from the kernel's code and chain name; nil for codes this module does not model.
    public init?(code: Int32, chain: String?) {
        switch code {
        case 1: self = .accept
        case 0: self = .drop
        case -1: self = .continue
        case -5: self = .return
        case -3:
            guard let chain else { return nil }
            self = .jump(chain)
        case -4:
            guard let chain else { return nil }
            self = .goto(chain)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .continue: "continue"
        case .return: "return"
        case .jump(let chain): "jump \(chain)"
        case .goto(let chain): "goto \(chain)"
        }
    }
}
