"""Pure parsers: text in, typed facts out. Each is tested on outputs captured in the lab."""
