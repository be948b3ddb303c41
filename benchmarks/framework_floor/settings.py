from config.settings import *  # noqa: F403 (the app's settings, with another URLconf)

ROOT_URLCONF = "framework_floor.urls"
