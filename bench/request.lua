-- wrk script: a DynamoDB PutItem of about 1 KB, with the identity token.
-- TOKENS_FILE (one token per line) makes every request carry the next
-- token, so that each is verified anew; otherwise TOKEN is sent.

local body = '{"TableName": "bench", "Item": {"pk": {"S": "order-0001"}, ' ..
             '"payload": {"S": "' .. string.rep("x", 900) .. '"}, ' ..
             '"total": {"N": "42"}}}'

local tokens = {}
local next_token = 1
local file = os.getenv("TOKENS_FILE")

if file and file ~= "" then
    for line in io.lines(file) do
        tokens[#tokens + 1] = line
    end
end

local single = os.getenv("TOKEN") or ""

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"

request = function()
    local token = single
    if #tokens > 0 then
        token = tokens[next_token]
        next_token = next_token % #tokens + 1
    end
    wrk.headers["cyral.token"] = token
    return wrk.format()
end
