-- Plain GET requests (headers such as Cookie or Authorization come from wrk -H);
-- only adds the JSON report, so wrk's request path stays as fast as it can be.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")
setup = report.setup
done = report.done
