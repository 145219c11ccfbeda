from hub.cli.main import main

main()
