"""``python -m clustersim``: the ``clustersim`` command without the installed script."""

from clustersim.cli import main

main()
