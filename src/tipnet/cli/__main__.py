"""`python -m tipnet.cli`."""

from tipnet.cli.commands import main

main()
