import TabbyCtlCommands

await TabbyCtl.main()
