from magvit.cli import run

run()
