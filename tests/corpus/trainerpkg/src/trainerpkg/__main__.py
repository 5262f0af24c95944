from trainerpkg.cli import main

raise SystemExit(main())
