-- Valid sign-ins through the HTML form, as a browser does them: GET / for the session
-- cookie and its CSRF token, then POST / with the token, a login and the password.
-- The token belongs to the session cookie and does not expire, so each wrk thread
-- fetches the form once and then posts continuously, rotating through the logins.
-- Usage: wrk -s sign_in.lua URL -- PASSWORD LOGIN [LOGIN...]
-- A successful sign-in answers 303; statuses are counted per code in the report.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")
setup = report.setup
done = report.done

statuses = {}
local password = nil
local logins = {}
local turn = 0
local token = nil
local cookie = nil

local function encoded(text)
  return (text:gsub("[^%w%-%._~]", function(char)
    return string.format("%%%02X", string.byte(char))
  end))
end

function init(args)
  password = args[1]
  for i = 2, #args do
    table.insert(logins, args[i])
  end
  if password == nil or #logins == 0 then
    error("usage: wrk -s sign_in.lua URL -- PASSWORD LOGIN [LOGIN...]")
  end
end

function request()
  if token == nil then
    return wrk.format("GET", "/")
  end
  turn = turn % #logins + 1
  local body = "csrf_token=" .. encoded(token) .. "&login=" .. encoded(logins[turn]) ..
    "&password=" .. encoded(password)
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end

local function session_cookie(headers)
  for name, value in pairs(headers) do
    if string.lower(name) == "set-cookie" then
      return value:match("^([^;]+)")
    end
  end
  return nil
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if token == nil and status == 200 then
    local found = body:match('name="csrf_token" value="([^"]+)"')
    local set = session_cookie(headers)
    if found ~= nil and set ~= nil then
      token, cookie = found, set
    end
  end
end
