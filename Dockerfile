# The image docker-compose.yml runs for web, worker and beat.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 VAR_DIR=/var/lib/calista
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN mkdir -p $VAR_DIR && SECRET_KEY=build python manage.py collectstatic --noinput -v0 && python manage.py compilemessages -v0 2>/dev/null || true
RUN useradd --system --home $VAR_DIR calista && chown -R calista $VAR_DIR
USER calista
EXPOSE 8000
CMD ["gunicorn", "calista.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4"]
