from lingosum.cli import main

main()
