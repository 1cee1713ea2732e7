from comfyd.cli.main import app

app(prog_name="comfyd")
