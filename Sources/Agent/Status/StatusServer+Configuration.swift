import Glibc

extension StatusServer {
    /// Where to listen.
    public struct Configuration: Sendable {
        /// A TCP listener: address, port (0 picks a free one) and the endpoints it serves.
        public struct TCPListener: Sendable, Equatable {
            public var host: String
            public var port: Int
            public var endpoints: Set<StatusEndpoint>

            public init(host: String, port: Int, endpoints: Set<StatusEndpoint>) {
                self.host = host
                self.port = port
                self.endpoints = endpoints
            }
        }

        /// The Unix socket serving every endpoint, or nil for none.
        public var unixSocket: String?
        /// The Unix socket's permissions: owner and group may connect.
        public var unixSocketMode: mode_t = 0o660
        public var tcp: [TCPListener]
        /// How long a client may take to send its request, or to take the response.
        public var clientTimeoutSeconds = 5
        /// Connections served at once; more are answered 503 at once.
        public var maximumConnections = 64

        public init(unixSocket: String?, unixSocketMode: mode_t = 0o660, tcp: [TCPListener] = []) {
            self.unixSocket = unixSocket
            self.unixSocketMode = unixSocketMode
            self.tcp = tcp
        }

        /// The agent's listeners: `statusSocket`; `/liveness` and `/readiness` on `healthHost:healthPort` when
        /// `healthEnabled`; `/metrics` on `metricsHost:metricsPort` when `metricsEnabled` (one listener when both
        /// name the same host and port).
        public init(agent: AgentConfiguration) {
            var tcp: [TCPListener] = []
            if agent.healthEnabled {
                tcp.append(
                    TCPListener(host: agent.healthHost, port: agent.healthPort, endpoints: StatusEndpoint.health))
            }
            if agent.metricsEnabled {
                if let index = tcp.firstIndex(where: { $0.host == agent.metricsHost && $0.port == agent.metricsPort }) {
                    tcp[index].endpoints.insert(.metrics)
                } else {
                    tcp.append(TCPListener(host: agent.metricsHost, port: agent.metricsPort, endpoints: [.metrics]))
                }
            }
            self.init(unixSocket: agent.statusSocket, tcp: tcp)
        }
    }
}
