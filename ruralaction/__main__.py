import sys

from ruralaction.cli import main

sys.exit(main())
