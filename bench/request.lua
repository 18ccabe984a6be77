-- wrk script: the DynamoDB PutItem bench/run makes, its headers and body
-- given in the environment, so that wrk and bench/run's one-at-a-time
-- client send the same request.
--
--   REQUEST_HEADERS  "Name: value" lines
--   REQUEST_BODY     the body
--   BODY_FILE        or a file holding it (a body of megabytes does not
--                    fit in the environment)
--   TOKENS_FILE      one token per line: every request carries the next,
--                    in cyral.token, so that each is verified anew
--   OFFSET           the line of the file to start at, less one

wrk.method = "POST"
wrk.body = os.getenv("REQUEST_BODY") or ""

local body_file = os.getenv("BODY_FILE")

if body_file and body_file ~= "" then
    local f = assert(io.open(body_file, "rb"))
    wrk.body = f:read("*a")
    f:close()
end

for line in string.gmatch(os.getenv("REQUEST_HEADERS") or "", "[^\n]+") do
    local name, value = string.match(line, "^([^:]+): (.*)$")
    wrk.headers[name] = value
end

local tokens = {}
local next_token = 1
local file = os.getenv("TOKENS_FILE")

if file and file ~= "" then
    for line in io.lines(file) do
        tokens[#tokens + 1] = line
    end

    next_token = (tonumber(os.getenv("OFFSET") or "0") or 0) % #tokens + 1
end

-- the request is formatted anew each time, with or without a new token,
-- so that every variant costs wrk the same

request = function()
    if #tokens > 0 then
        wrk.headers["cyral.token"] = tokens[next_token]
        next_token = next_token % #tokens + 1
    end
    return wrk.format()
end
