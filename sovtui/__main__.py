"""``python -m sovtui`` runs the same entry point as the ``sovtui`` script."""

from sovtui.cli import main

raise SystemExit(main())
