"""Users and what they keep on the server: the user directory (`users.json`), each user's settings
(`comfy.settings.json`) and their user data files, laid out as ComfyUI lays them out.

HTTP lives elsewhere (`comfyd.server.routes.users`); nothing here imports FastAPI.
"""
