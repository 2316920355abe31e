from fastreg._cli import main

raise SystemExit(main())
