"""Files the ComfyUI routes serve and accept: `/view`, uploads, model metadata, directory listings.

Every name a request supplies is resolved (symlinks included) and kept inside the input, output
or temp directory it names; nothing here knows about HTTP.
"""
