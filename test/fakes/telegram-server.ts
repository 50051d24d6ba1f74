// The implementation is the sandbox's Telegram (one for the tests and `npm start` without a token).
export * from '../../sandbox/telegram-server';
