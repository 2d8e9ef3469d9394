from buildorbuy.cli import main

main()
