import Agent
import Foundation

// tabbyd: argument and environment wiring only; the agent lives in the Agent module.
let arguments = Array(CommandLine.arguments.dropFirst())
if AgentConfiguration.wantsHelp(arguments) {
    print(AgentConfiguration.usage)
    exit(0)
}
if arguments == ["--version"] {
    print("tabbyd \(TabbyVersion.current)")
    exit(0)
}
let environment = ProcessInfo.processInfo.environment
let configuration: AgentConfiguration
do {
    configuration = try AgentConfiguration.load(arguments: arguments, environment: environment)
} catch {
    FileHandle.standardError.write(Data("tabbyd: \(error)\n".utf8))
    exit(2)
}
let log = AgentLog(level: configuration.logLevel, format: configuration.logFormat, environment: environment)
let agent = NodeAgent(configuration: configuration, arguments: arguments, environment: environment, log: log)
do {
    try await agent.run()
    exit(0)
} catch {
    log.error("cannot start: \(error)")
    exit(1)
}
