"""Component ids, in one place: kebab-case, prefixed by the page that owns them."""

# shell (top bar, live check)
SHELL_URL = "shell-url"
SHELL_CANONICAL = "shell-canonical"
SHELL_QUARTER = "shell-quarter"
SHELL_TEAM = "shell-team"
SHELL_DATA_VERSION = "shell-data-version"
SHELL_FRESHNESS = "shell-freshness"
SHELL_POLL = "shell-poll"
SHELL_NAV_COURSE = "shell-nav-course"
SHELL_NAV_REVIEW = "shell-nav-review"
SHELL_NAV_RIDER = "shell-nav-rider"
SHELL_NAV_DATA = "shell-nav-data"

# course (home)
COURSE_URL = "course-url"
COURSE_STATE = "course-state"
COURSE_VIEW = "course-view"
COURSE_TITLE = "course-title"
COURSE_SUBTITLE = "course-subtitle"
COURSE_SINCE = "course-since"
COURSE_MESSAGE = "course-message"
COURSE_STRIP = "course-strip"
COURSE_PELOTON = "course-peloton"
COURSE_MAP = "course-map"
COURSE_SEARCH = "course-search"
COURSE_LANES_VIEW = "course-lanes-view"
COURSE_PAGER = "course-pager"
COURSE_LANES_INFO = "course-lanes-info"
COURSE_DEAL = "course-deal"
COURSE_DEAL_BODY = "course-deal-body"
COURSE_DEAL_RIDER = "course-deal-rider"
# kept for the first shell's overview (superseded by the course map)
COURSE_OVERVIEW = "course-overview"

# rider
RIDER_URL = "rider-url"
RIDER_STATE = "rider-state"
RIDER_TITLE = "rider-title"
RIDER_SUBTITLE = "rider-subtitle"
RIDER_LANE = "rider-lane"
RIDER_PICK = "rider-pick"
RIDER_MESSAGE = "rider-message"

# data
DATA_URL = "data-url"
DATA_BATCHES = "data-batches"
