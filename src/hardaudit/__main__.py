from hardaudit.cli import main

raise SystemExit(main())
