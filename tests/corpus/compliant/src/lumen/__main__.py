from lumen.cli import main

raise SystemExit(main())
