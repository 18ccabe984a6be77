// The JavaScript SDK v3 (@aws-sdk/client-dynamodb, unmodified) through the
// gateway: the operations of t/lib/e2e_clients.py's scenario, made three
// times, each on its own table:
//
//   session   the identity token as the session token, dummy keys
//   header    dummy keys, a middleware adding the "cyral.token" header
//   direct    straight to the emulator's DynamoDB front, signed with
//             credentials of the role
//
// Reads one JSON object on stdin: {"gateway", "direct", "token", "table",
// "credentials": {"AccessKeyId", "SecretAccessKey", "SessionToken"}}.
// Writes one JSON object on stdout: for each run the answers, in order, as
// [operation, answer] pairs, and the X-Amz-Target of every request it sent
// (waiter polls and retries included); comparing them is the caller's job.
// Every client is given its endpoint, region and credentials, so that the
// SDK looks for nothing elsewhere and talks only to the loopback.

import {
    DynamoDBClient,
    BatchWriteItemCommand,
    CreateTableCommand,
    DeleteTableCommand,
    ExecuteStatementCommand,
    GetItemCommand,
    PutItemCommand,
    QueryCommand,
    ScanCommand,
    TransactWriteItemsCommand,
    UpdateItemCommand,
    waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";

const DUMMY = {
    accessKeyId: "AKIDCLIENTDUMMY00000",
    secretAccessKey: "client-secret-not-used",
};

function client(endpoint, credentials, sent, headerToken) {
    const c = new DynamoDBClient({
        endpoint,
        region: "us-east-1",
        credentials,
        maxAttempts: 2,
        endpointDiscoveryEnabled: false,
        accountIdEndpointMode: "disabled",
    });

    if (headerToken !== undefined) {
        // before signing, as the Cyral plugins do: the header is signed
        c.middlewareStack.add((next) => async (args) => {
            args.request.headers["cyral.token"] = headerToken;
            return next(args);
        }, { step: "build", name: "addCyralToken" });
    }

    // the deserialize step is under the retry loop: once per request sent
    c.middlewareStack.add((next) => async (args) => {
        sent.push(args.request.headers["x-amz-target"]
                  ?? args.request.headers["X-Amz-Target"] ?? null);
        return next(args);
    }, { step: "deserialize", name: "countRequests", priority: "low" });

    return c;
}

async function scenario(c, table) {
    const out = [];
    const send = async (op, command) => {
        out.push([op, await c.send(command)]);
    };
    const key = { pk: { S: "order-1" }, sk: { N: "1" } };

    await send("CreateTable", new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" },
                    { AttributeName: "sk", KeyType: "RANGE" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" },
                               { AttributeName: "sk", AttributeType: "N" }],
        BillingMode: "PAY_PER_REQUEST",
    }));
    await waitUntilTableExists(
        { client: c, minDelay: 1, maxDelay: 1, maxWaitTime: 30 },
        { TableName: table });
    await send("PutItem", new PutItemCommand({
        TableName: table,
        Item: { ...key, note: { S: "caf\u00e9 \u65e5\u672c \u{1F600}" },
                total: { N: "42" } },
        ReturnConsumedCapacity: "TOTAL",
    }));
    await send("GetItem", new GetItemCommand({
        TableName: table, Key: key, ConsistentRead: true,
    }));
    await send("UpdateItem", new UpdateItemCommand({
        TableName: table, Key: key,
        UpdateExpression: "SET #t = #t + :inc",
        ExpressionAttributeNames: { "#t": "total" },
        ExpressionAttributeValues: { ":inc": { N: "8" } },
        ReturnValues: "ALL_NEW",
    }));

    // 25 items of 45 KB: a body over 1 MB, which nginx keeps in a file
    const batch = [];
    for (let i = 0; i < 25; i++) {
        const two = String(i).padStart(2, "0");
        batch.push({ PutRequest: { Item: {
            pk: { S: "bulk" }, sk: { N: String(i) },
            blob: { S: two.repeat(22500) } } } });
    }
    await send("BatchWriteItem", new BatchWriteItemCommand({
        RequestItems: { [table]: batch },
    }));
    await send("Query", new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :p AND sk < :s",
        ExpressionAttributeValues: { ":p": { S: "bulk" }, ":s": { N: "5" } },
        ProjectionExpression: "pk, sk",
    }));
    await send("Scan", new ScanCommand({
        TableName: table, ProjectionExpression: "pk, sk",
        Select: "SPECIFIC_ATTRIBUTES",
    }));
    await send("TransactWriteItems", new TransactWriteItemsCommand({
        TransactItems: [
            { Put: { TableName: table,
                     Item: { pk: { S: "order-2" }, sk: { N: "1" } } } },
            { Update: { TableName: table, Key: key,
                        UpdateExpression: "SET paid = :t",
                        ExpressionAttributeValues: {
                            ":t": { BOOL: true } } } },
            { Delete: { TableName: table,
                        Key: { pk: { S: "bulk" }, sk: { N: "0" } } } },
        ],
    }));
    await send("ExecuteStatement", new ExecuteStatementCommand({
        Statement: `SELECT pk, sk, paid FROM "${table}" WHERE pk = ?`,
        Parameters: [{ S: "order-1" }],
    }));
    await send("DeleteTable", new DeleteTableCommand({ TableName: table }));
    return out;
}

async function run(endpoint, credentials, table, headerToken) {
    const sent = [];
    const c = client(endpoint, credentials, sent, headerToken);
    try {
        return { table, answers: await scenario(c, table), sent };
    } catch (e) {
        return { table, sent, error: `${e.name}: ${e.message}` };
    } finally {
        c.destroy();
    }
}

const chunks = [];
for await (const chunk of process.stdin) {
    chunks.push(chunk);
}
const a = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const role = {
    accessKeyId: a.credentials.AccessKeyId,
    secretAccessKey: a.credentials.SecretAccessKey,
    sessionToken: a.credentials.SessionToken,
};

const result = {
    session: await run(a.gateway, { ...DUMMY, sessionToken: a.token },
                       a.table + "_session"),
    header: await run(a.gateway, DUMMY, a.table + "_header", a.token),
    direct: await run(a.direct, role, a.table + "_direct"),
};
process.stdout.write(JSON.stringify(result) + "\n");
