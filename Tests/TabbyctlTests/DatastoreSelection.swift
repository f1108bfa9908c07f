import Foundation

/// Runs the built `tabbyctl` with exactly `arguments` and the environment `variables` (plus PATH), so that a
/// test decides every datastore setting itself.
func runTabbyctl(_ arguments: [String], variables: [String: String] = [:], stdin: String? = nil) throws
    -> Tabbyctl.Result
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Tabbyctl.binary!)
    process.arguments = arguments
    process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(variables) {
        $1
    }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Tabbyctl.Result(
        status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
        err: String(decoding: errData, as: UTF8.self))
}
