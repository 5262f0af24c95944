from pulsefit.cli import app

app(prog_name="pulsefit")
