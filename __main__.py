"""`python -m rig` is the `rig` command."""

from rig.cli import main

raise SystemExit(main())
