import TabbyCtlCommands

#if canImport(Glibc)
    import Glibc
#endif

exit(await TabbyCtl.run(arguments: Array(CommandLine.arguments.dropFirst())))
