from netra_diag.cli import main

raise SystemExit(main())
