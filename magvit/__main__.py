from magvit.cli import main

main()
