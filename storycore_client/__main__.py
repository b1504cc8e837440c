import sys

from storycore_client.cli import main

sys.exit(main())
