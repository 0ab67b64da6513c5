from clarion.entry import main

main()
