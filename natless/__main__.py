import sys

from natless.cli import main

sys.exit(main())
