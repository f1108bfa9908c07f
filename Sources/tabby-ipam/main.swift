// The `tabby-ipam` CNI IPAM plugin: wiring only (stdin and environment in, result out); the plugin is CNI.CNIPlugin.
import CNI
import Glibc

let output = await CNIPlugin.run(.ipam, environment: PluginStdio.environment(), stdin: PluginStdio.readStandardInput())
PluginStdio.write(output.stdout)
exit(output.exitCode)
