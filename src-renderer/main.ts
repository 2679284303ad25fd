import { createPinia } from 'pinia';
import { config as configureZod } from 'zod';
import { createApp } from 'vue';
import { createApiClient, provideApi, selectTransport } from './api';
import App from './App.vue';
import './styles.css';

// The strict CSP forbids eval; zod's optional code generation would only log CSP violations.
configureZod({ jitless: true });
provideApi(createApiClient(selectTransport()));
createApp(App).use(createPinia()).mount('#app');
