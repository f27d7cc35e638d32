"""Component ids, in one place: kebab-case, prefixed by the page that owns them."""

# shell
SHELL_URL = "shell-url"
COURSE_URL = "course-url"
DATA_URL = "data-url"
SHELL_DATA_VERSION = "shell-data-version"
SHELL_FRESHNESS = "shell-freshness"
SHELL_POLL = "shell-poll"

# course (home)
COURSE_OVERVIEW = "course-overview"

# data
DATA_BATCHES = "data-batches"
