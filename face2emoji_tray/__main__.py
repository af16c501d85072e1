from face2emoji_tray.cli import main

raise SystemExit(main())
