from mkmultiarch.cli import app

app(prog_name="mkmultiarch")
