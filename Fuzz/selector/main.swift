import CalicoAPI
import FuzzSupport
import Glibc

// libFuzzer entry for the selector parser: any text either parses or throws a SelectorParseError. A selector
// that parses must print (canonically) as text that parses back to the same selector, and evaluate.

private let labels: Labels = ["app": "web", "tier": "front", "projectcalico.org/namespace": "demo", "x": ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSelector(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let selector: Selector
    do {
        selector = try Selector(parsing: text)
    } catch {
        _ = error.description
        return 0
    }
    let canonical = selector.canonical
    guard let reparsed = try? Selector(parsing: canonical), reparsed == selector, reparsed.canonical == canonical
    else { fatalError("\(text.debugDescription) parses; its canonical form \(canonical.debugDescription) does not") }
    _ = selector.matches(labels)
    _ = selector.uniqueID
    _ = selector.referencedLabelKeys
    return 0
}

var argumentCount = CommandLine.argc
var argumentValues = Optional(CommandLine.unsafeArgv)
exit(LLVMFuzzerRunDriver(&argumentCount, &argumentValues, fuzzSelector))
