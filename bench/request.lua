-- wrk script: a DynamoDB PutItem of about 1 KB, with the headers an AWS
-- SDK sends (Authorization, X-Amz-Date), so that plain proxy_pass and the
-- gateway forward requests of the same size.
--
--   TOKEN           the identity token, in cyral.token (the gateway)
--   TOKENS_FILE     one token per line: every request carries the next,
--                   so that each is verified anew
--   SESSION_TOKEN   an X-Amz-Security-Token, as a client holding the
--                   role's own temporary credentials sends it straight
--                   to DynamoDB (plain proxy_pass)

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
local session = os.getenv("SESSION_TOKEN") or ""

local signed = "content-type;host;x-amz-date;x-amz-target"

if session ~= "" then
    signed = "content-type;host;x-amz-date;x-amz-security-token;" ..
             "x-amz-target"
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
wrk.headers["X-Amz-Date"] = "20261123T120000Z"
wrk.headers["Authorization"] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEBENCH0001/20261123/" ..
    "us-east-1/dynamodb/aws4_request, SignedHeaders=" .. signed ..
    ", Signature=" .. string.rep("5d", 32)

if session ~= "" then
    wrk.headers["X-Amz-Security-Token"] = session
end

request = function()
    if single ~= "" or #tokens > 0 then
        local token = single
        if #tokens > 0 then
            token = tokens[next_token]
            next_token = next_token % #tokens + 1
        end
        wrk.headers["cyral.token"] = token
    end
    return wrk.format()
end
