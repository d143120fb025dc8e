from django.db import connection
from django.shortcuts import render
from django.urls import path


def items(request):
    with connection.cursor() as cursor:
        cursor.execute('SELECT id, name, price FROM item WHERE price > %s ORDER BY id LIMIT 20', [10.0])
        rows = cursor.fetchall()
    return render(request, 'items.html', {'items': rows})


urlpatterns = [path('', items)]
